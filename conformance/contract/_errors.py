class ContractError(Exception):
    """The contract cannot be loaded or used; the message is one line naming the file and problem."""
