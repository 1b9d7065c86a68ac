"""Before an admission is proposed: is the name free, and does it look like a member's?

The contract refuses a name key it already holds (DuplicateName), but only when the proposal is
executed, after the committee voted; and it cannot tell a look-alike from a new name. Every entry point
that proposes an admission (`attest member propose admit`, scripts/bootstrap_consortium.py) asks here
first, so a taken name is a one-line InputError (exit 2) with nothing sent, and a look-alike a warning.
"""

from __future__ import annotations

from attest.chain.deployment import Deployment
from attest.core.errors import InputError
from attest.core.names import holders, lookalikes, name_key, normalise_name


def check_name(deployment: Deployment, name: str, *, field: str = "--name") -> list[str]:
    """Refuse `name` if an organisation (active or removed) holds it; return look-alike warnings.

    Held means: a display name that normalises as `name` does (read back and normalised here, as the
    contract's keys are whatever admissions were given), or the contract's key for `name` taken.
    """
    orgs = {o.org_id: o for o in deployment.organisations()}
    names = {i: o.info.name for i, o in orgs.items()}
    taken = set(holders(name, names))
    keyed = int(deployment.governance.call("organisationByNameKey", name_key(name)))
    if keyed:
        taken.add(keyed)
    if taken:
        who = "; ".join(
            f"organisation #{i} {names.get(i, '?')!r}{'' if orgs[i].active else ' (removed)'}"
            for i in sorted(taken)
        )
        raise InputError(
            f"{name!r} is taken by {who}: names are unique once normalised ({normalise_name(name)!r}), "
            "and a removed organisation keeps its name",
            field=field,
        )
    similar = lookalikes(name, names)
    if not similar:
        return []
    others = ", ".join(f"organisation #{i} {names[i]!r}" for i in similar)
    return [f"{name!r} looks like {others}: check it is not an impersonation before voting"]
