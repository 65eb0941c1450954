"""Page access outside the portfolio: what no API can change, as steps for a person.

A Page's ``roles`` edge lists the people who reach it through their own Facebook profile,
outside any business portfolio. Meta offers no call that removes them (the edge is read-only),
and it shows ids and names only, no email; the ids are not business-scoped, so they never
equal the member's. So offboard can honestly match only by name, and says so:

- someone listed under a name the member goes by (the roster's name or the name Meta shows
  for the business user) becomes a step to remove them, which closes itself once the Page no
  longer lists them;
- everyone else listed there is unknown to offboard: one step per Page names them and asks a
  person to check whether one of them is the member (another profile of theirs), and to
  confirm. It closes by itself only if all of them are gone from the Page.

An Instagram account linked to a Page but not an asset of the portfolio is the same case:
offboard cannot see its people, so a person checks it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from offboard.spi import Account, Action, ManualStep, Outcome, Phase

from . import observe
from .observe import NAME, PageInfo

if TYPE_CHECKING:
    from .actions import Meta

Params = Mapping[str, Any]
WHERE = ("Open the Page on Facebook and switch into it, then Settings > Page setup > Page access (in the classic "
         "Pages experience: Settings > Page roles). Under \"People with Facebook access\", find {who}, click the three "
         "dots next to them and choose Remove access.")


def normalized(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().casefold()


def names_of(account: Account) -> set[str]:
    """The names the member goes by: Meta's name for the business user, and the roster's."""
    return {normalized(str(account.attributes.get(k) or "")) for k in ("name", "roster_name")} - {""}


def _people(people: list[dict[str, Any]]) -> str:
    return "; ".join(f"{p['name'] or p['id']}" + (f" ({', '.join(p['tasks'])})" if p["tasks"] else "") for p in people)


def steps(account: Account, page: PageInfo, outsiders: list[dict[str, Any]]) -> list[Action]:
    names = names_of(account)
    matched = [p for p in outsiders if normalized(p["name"]) in names]
    others = [p for p in outsiders if p not in matched]
    found = [remove_outsider(account, page, person) for person in matched]
    if others:
        found.append(review(account, page, others))
    return found


def remove_outsider(account: Account, page: PageInfo, person: dict[str, Any]) -> Action:
    who = person["name"] or person["id"]
    link = f"https://www.facebook.com/{page.id}"
    instructions = (WHERE.format(who=who) + f" They are listed there under the name of {account.label} and have no place "
                    "in the portfolio, so no API can remove them. Nothing else is needed: offboard sees them gone from "
                    "the Page's access list and closes this step when the run is resumed or its status is asked.")
    return Action(id=f"meta:page-access:{page.id}:{person['id']}", connector=NAME, kind="page-access-manual",
                  summary=f'Remove {who} from the Facebook Page "{page.name}" in Page settings > Page access: a profile '
                          f"outside the portfolio under the name of {account.label}; no API can remove it",
                  phase=Phase.MANUAL, reversible=False, account=account,
                  before={"page": page.id, "name": page.name, "person": person}, after={"page": page.id, "person": None},
                  params={"page": page.id, "name": page.name, "person": person["id"], "person_name": who},
                  manual=ManualStep(f'Remove {who} from the Page "{page.name}"', instructions, links=(link,),
                                    evidence=("screenshot of the Page access list",), self_closing=True))


def review(account: Account, page: PageInfo, people: list[dict[str, Any]]) -> Action:
    link = f"https://www.facebook.com/{page.id}"
    listed = _people(people)
    instructions = (f"These people reach the Page \"{page.name}\" through their own Facebook profile, outside the "
                    f"portfolio: {listed}. Meta shows no email for them, so offboard cannot tell whether one of them is "
                    f"{account.label}. If one is, remove them: " + WHERE.format(who="them") +
                    " Then confirm this step with offboard confirm, saying who you removed, or that none of them is "
                    "the member.")
    return Action(id=f"meta:page-access-review:{page.id}", connector=NAME, kind="page-access-review",
                  summary=f'Check who has access to the Facebook Page "{page.name}" outside the portfolio ({listed}): '
                          f"offboard cannot tell whether one of them is {account.label}",
                  phase=Phase.MANUAL, reversible=False, account=account,
                  before={"page": page.id, "name": page.name, "people": people}, after={"checked": True},
                  params={"page": page.id, "name": page.name, "people": [p["id"] for p in people]},
                  manual=ManualStep(f'Check Page access of "{page.name}" for {account.label}', instructions,
                                    links=(link,), evidence=("who was removed, or that none of them is the member",)))


def instagram_review(account: Account, page: PageInfo, ig_user_id: str, business_name: str) -> Action:
    instructions = (f"The Instagram account linked to the Page \"{page.name}\" is not an asset of the portfolio "
                    f"\"{business_name}\", so offboard cannot see who may use it. In the Instagram app, open the account's "
                    f"settings and remove {account.label} wherever they have access; better, add the account to the "
                    "portfolio in Business settings > Accounts > Instagram accounts, so that offboard handles it next time. "
                    "Then confirm this step with offboard confirm.")
    return Action(id=f"meta:instagram-review:{ig_user_id}", connector=NAME, kind="instagram-review",
                  summary=f'Check who has access to the Instagram account linked to the Page "{page.name}": it is not '
                          "in the portfolio, so offboard cannot see its people",
                  phase=Phase.MANUAL, reversible=False, account=account,
                  before={"page": page.id, "name": page.name, "instagram": ig_user_id}, after={"checked": True},
                  params={"page": page.id, "name": page.name, "instagram": ig_user_id},
                  manual=ManualStep(f'Check the Instagram account of "{page.name}" for {account.label}', instructions,
                                    evidence=("what was removed, or that they had no access",)))


# ---------------------------------------------------------------- observe and act


def _listed(meta: Meta, p: Params) -> Collection[str]:
    return {person["id"] for person in observe.outsiders(meta.api, meta.page(p["page"]))}


def outsider_gone(meta: Meta, p: Params) -> bool:
    return p["person"] not in _listed(meta, p)


def remove_outsider_by_hand(meta: Meta, p: Params) -> Outcome:
    if outsider_gone(meta, p):
        return Outcome.ok(f'{p["person_name"]} no longer has access to the Page "{p["name"]}"')
    return Outcome.manual(f'waiting for a Page admin to remove {p["person_name"]} in Page settings > Page access of '
                          f'"{p["name"]}"')


def reviewed(meta: Meta, p: Params) -> bool | None:
    """True once none of the people listed is on the Page any more; otherwise only a person can tell."""
    return True if not set(p["people"]) & set(_listed(meta, p)) else None


def review_by_hand(meta: Meta, p: Params) -> Outcome:
    if reviewed(meta, p):
        return Outcome.ok(f'none of the people checked has access to the Page "{p["name"]}" any more')
    return Outcome.manual(f'waiting for a person to check Page access of "{p["name"]}" and confirm it')


def instagram_by_hand(meta: Meta, p: Params) -> Outcome:
    return Outcome.manual(f'waiting for a person to check the Instagram account linked to the Page "{p["name"]}"')
