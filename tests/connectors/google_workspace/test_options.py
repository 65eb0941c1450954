"""A playbook step's options: what a suspension leaves out, and options that are not understood."""

from __future__ import annotations

import pytest
from offboard.connectors.google_workspace import GoogleWorkspaceConnector
from offboard.connectors.google_workspace.emulator import GoogleEmulator

from offboard.spi import FatalError, Member
from tests.connectors.google_workspace.conftest import DOMAIN

DANA = Member("m-009", "Dana Reyes", f"dana.reyes@{DOMAIN}")


@pytest.fixture
def dana(emulator: GoogleEmulator, connector: GoogleWorkspaceConnector):
    emulator.seed_member(DANA.email, groups=2, tokens=1, devices=1)
    return connector.resolve(DANA)


def kinds(connector: GoogleWorkspaceConnector, account, **options) -> set[str]:
    return {a.kind for a in connector.discover(account, options)}


def test_the_default_resets_the_password_and_transfers_the_data(connector, dana):
    assert {"password", "transfer"} <= kinds(connector, dana)


def test_a_suspension_keeps_the_password_and_the_data(connector, dana):
    found = kinds(connector, dana, reset_password=False, transfer_data=False)
    assert not {"password", "transfer"} & found
    assert {"suspend", "group", "device"} <= found


@pytest.mark.parametrize(("options", "message"), [
    ({"reset_pasword": False}, "the playbook's google step has unknown option(s) reset_pasword (known: wipe_devices, "
                               "reset_password, transfer_data): fix the playbook"),
    ({"wipe_devices": "yes"}, "the playbook's google option(s) wipe_devices must be true or false: fix the playbook"),
])
def test_an_option_not_understood_is_refused_before_anything_is_read(connector, dana, emulator, options, message):
    connector.discover(dana)  # what resolve started reading is read to the end first
    calls = len(emulator.log)
    with pytest.raises(FatalError) as refused:
        connector.discover(dana, options)
    assert str(refused.value) == message
    assert len(emulator.log) == calls
