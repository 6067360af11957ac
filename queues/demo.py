"""Demo queue devices: one kiosk at the demo station, with a published set-up token (demo only),
and the station's counters opened for the demo clerk, so a newcomer can play a morning in three
windows: kiosk, clerk console and waiting-room screen."""

from services.models import Office

from . import actions, selectors
from .models import Kiosk

DEMO_OFFICE = "fr-dingwangtai"
DEMO_KIOSK_TOKEN = "demo-kiosk-fr-dingwangtai"  # public on purpose: demo data only


def load() -> str:
    office = Office.objects.filter(code=DEMO_OFFICE).first()
    if office is None:
        return "Queues: demo office missing, no kiosk created."
    token_hash = selectors.kiosk_token_hash(DEMO_KIOSK_TOKEN)
    if not Kiosk.objects.filter(token_hash=token_hash).exists():
        actions.kiosk_create(office=office, name="大厅自助取号机", token=DEMO_KIOSK_TOKEN)
    return (
        f"Queues: kiosk set-up link /zh-hans/queue/kiosk/setup/{DEMO_KIOSK_TOKEN}/ ; "
        f"waiting-room screen /zh-hans/queue/screen/{DEMO_OFFICE}/ ; "
        "clerk console /zh-hans/staff/console/ (clerk1)."
    )
