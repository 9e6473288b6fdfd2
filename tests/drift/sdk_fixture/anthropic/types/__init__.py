from .message import Message as Message
