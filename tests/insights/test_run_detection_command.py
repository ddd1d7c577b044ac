"""The run_detection command runs the same detection as beat and says what it changed."""

from io import StringIO

from django.core.management import call_command

from insights.models import Alert
from tests.insights.alert_builders import NOW, carrier_in_trouble


def test_the_command_reports_nothing_on_a_quiet_store(db):
    out = StringIO()

    call_command("run_detection", stdout=out)

    assert "0 alert(s) raised, updated or resolved." in out.getvalue()
    assert not Alert.objects.exists()


def test_the_command_raises_the_alert_a_carrier_in_trouble_deserves(db):
    carrier_in_trouble()
    out = StringIO()

    call_command("run_detection", "--at", NOW.isoformat(), stdout=out)

    alert = Alert.objects.get()
    assert (alert.subject_kind, alert.subject_code) == ("carrier", "ups")
    assert "Carrier ups" in out.getvalue()
    assert "1 alert(s) raised, updated or resolved." in out.getvalue()
