"""Settings of the floor server in bench/booking_floor.py: the production settings, with one
URL more (bench/_floor_urls.py). Never used outside that benchmark."""

from config.settings import *  # noqa: F403 - the same server, one URL more

ROOT_URLCONF = "_floor_urls"
