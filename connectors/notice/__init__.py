"""The written notice: told in writing by a trusted third party, once access is gone (see ``connector``)."""

from .connector import NoticeConnector

__all__ = ["NoticeConnector"]
