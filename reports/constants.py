"""The fixed numbers of the statistics."""

# Waiting and service times are kept as per-minute histograms: bucket m counts the visits that
# took m whole minutes (m minutes and 0–59 seconds); longer ones share the last bucket ("180+").
HISTOGRAM_MINUTES = 180

# A booked resident counts as "served on time" when called within this many minutes of the start
# of their slot.
ON_TIME_MINUTES = 15

# Ratings of 1 or 2 (of 5) are poor ("差评").
LOW_RATING_MAX = 2

PERM = "reports.view_dailyfigure"


class Kind:
    WAIT = "w"  # check-in → call
    SERVICE = "s"  # call → finish

    choices = [(WAIT, "waiting"), (SERVICE, "service")]
