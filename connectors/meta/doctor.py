"""``offboard doctor`` for Meta: can the system user's token do the job, before a run needs it?

The checks are the calls a run makes, each once: the token (``GET /me``), the portfolio and
its people (``business_management``), each configured Page with its Page token,
``assigned_users`` and ``roles`` (``pages_show_list``, ``pages_manage_metadata``, a task on
the Page), and each Page's Instagram account among the portfolio's assets. That is the
honest test: ``/debug_token`` needs an app token (the app secret, which offboard must not
hold), and ``/me/permissions`` is documented for user tokens; when it answers for a system
user's token its missing permissions are named too, and when it does not it is left out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from offboard.spi import ConnectorError

from . import observe
from .api import GraphApi
from .observe import InstagramAsset, PageInfo

PERMISSIONS = ("business_management", "pages_show_list", "pages_manage_metadata")
TOKEN_PAGE = "Business settings > Users > System users"


def problems(api: GraphApi, business_id: str, page_ids: Sequence[str], page_of: Callable[[str], PageInfo],
             assets: Callable[[], dict[str, InstagramAsset]]) -> list[str]:
    """Problems as sentences, each with its fix; empty when every call a run makes works."""
    try:
        api.token  # noqa: B018 - reads the environment variable: unset is a sentence of its own
        me = api.get("me", what="check the access token", fields="id,name")
    except ConnectorError as exc:
        return [str(exc)]
    found: list[str] = []
    missing = _missing_permissions(api)
    if missing:
        found.append(f"the token of the system user {me.get('name') or me.get('id')} lacks the permission(s) "
                     f"{', '.join(missing)}: in {TOKEN_PAGE}, select it, Generate new token with them, and put the new "
                     f"token in {api.token_env}")
    try:
        api.get(business_id, what="read the business portfolio", needs=observe.BUSINESS, fields="id,name")
        next(observe.business_users(api, business_id))
    except ConnectorError as exc:
        found.append(f"the business portfolio {business_id} cannot be read ({exc}): check business_id (Business settings "
                     "> Business info shows it) and that the system user belongs to that portfolio as an admin")
        return found
    if not page_ids:
        found.append("no Page is listed in [connectors.meta] page_ids: offboard removes people from the portfolio only; "
                     "list the ids of the organization's Pages (Business settings > Accounts > Pages) to remove their tasks")
    for page_id in page_ids:
        found += _page(api, business_id, page_id, page_of, assets)
    return found


def _missing_permissions(api: GraphApi) -> list[str]:
    """Permissions ``/me/permissions`` says are not granted; none when it does not answer for this token."""
    try:
        data = api.get("me/permissions", what="list the token's permissions").get("data") or []
    except ConnectorError:  # not offered for this token: the calls below test the same permissions
        return []
    granted = {str(p.get("permission")) for p in data if isinstance(p, dict) and p.get("status") == "granted"}
    return [p for p in PERMISSIONS if p not in granted]


def _page(api: GraphApi, business_id: str, page_id: str, page_of: Callable[[str], PageInfo],
          assets: Callable[[], dict[str, InstagramAsset]]) -> list[str]:
    try:
        page = page_of(page_id)
    except ConnectorError as exc:
        return [f"the Page {page_id} cannot be used: {exc}"]
    found = []
    try:
        next(api.pages(f"{page.id}/assigned_users", what=f'list the people assigned to the Page "{page.name}"',
                       needs=observe.PAGES, token=page.token, business=business_id, fields="id,name,tasks"))
        observe.outsiders(api, page)
    except ConnectorError as exc:
        found.append(f'the people of the Page "{page.name}" cannot be read: {exc}')
    if page.instagram is not None:
        try:
            listed = page.instagram in assets()
        except ConnectorError as exc:
            found.append(f"the Instagram accounts of the portfolio cannot be read: {exc}")
        else:
            if not listed:
                found.append(f'the Instagram account linked to the Page "{page.name}" is not an asset of the portfolio, so '
                             "offboard cannot remove anyone from it (each plan asks a person to check it): add it in "
                             "Business settings > Accounts > Instagram accounts")
    return found
