"""The only code that speaks HTTP to Google: google-api-python-client, google-auth and httplib2 live here.

Eight modules because together they pass 300 lines: ``clients`` is the transport
(credentials, one Http per thread, token grants), ``resources`` the services it shares between
threads, ``transport`` the httplib2 Http that sends
each request once, ``gateway`` every call the connector makes, by name, with three mixins of
it: ``lists`` the reads of a user discovery makes by email, ``batch`` Google's batch requests
(many reads in one round trip) and ``putback`` the writes that put access back; ``mailbox`` is
the written notice sent through Gmail as its sender. The libraries load on the first call, so
that loading the connector stays cheap.
"""

from .clients import GoogleClients
from .gateway import Gateway
from .mailbox import GmailMailbox

__all__ = ["Gateway", "GmailMailbox", "GoogleClients"]
