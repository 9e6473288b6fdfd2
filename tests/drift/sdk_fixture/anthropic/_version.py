__title__ = "anthropic"
__version__ = "9.9.9"
