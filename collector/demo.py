"""The demo groups and areas used by the collector and by `doorstep server init --demo`."""

from __future__ import annotations

import copy
from typing import Any

GROUPS: dict[str, str] = {"northfield": "Northfield CSG", "riverside": "Riverside CSG"}

_AREAS: tuple[dict[str, Any], ...] = (
    {
        "code": "abbey",
        "name": "Abbey",
        "group": "northfield",
        "households": 1840,
        "streets": [
            "Abbey Road",
            "Cloister Walk",
            "Friary Close",
            "Monks Lane",
            "Priory Street",
            "Chapel Row",
        ],
    },
    {
        "code": "bell-green",
        "name": "Bell Green",
        "group": "northfield",
        "households": 2210,
        "streets": [
            "Bell Green Road",
            "Belfry Court",
            "Carillon Way",
            "Green Lane",
            "Ringers Close",
            "Tower Street",
        ],
    },
    {
        "code": "canal-side",
        "name": "Canal Side",
        "group": "northfield",
        "households": 1395,
        "streets": [
            "Towpath Walk",
            "Lock Keepers Row",
            "Wharf Street",
            "Barge Close",
            "Basin Road",
            "Narrowboat Way",
        ],
    },
    {
        "code": "elm-park",
        "name": "Elm Park",
        "group": "riverside",
        "households": 1980,
        "streets": [
            "Elm Avenue",
            "Park Crescent",
            "Beech Grove",
            "Hazel Drive",
            "Rowan Close",
            "Sycamore Road",
        ],
    },
    {
        "code": "ferry-lane",
        "name": "Ferry Lane",
        "group": "riverside",
        "households": 1260,
        "streets": [
            "Ferry Lane",
            "Boatmans Way",
            "Landing Street",
            "Quay Road",
            "Slipway Close",
            "Jetty Walk",
        ],
    },
    {
        "code": "mill-hill",
        "name": "Mill Hill",
        "group": "riverside",
        "households": 2075,
        "streets": [
            "Mill Hill",
            "Millrace Lane",
            "Weir Road",
            "Granary Court",
            "Sluice Street",
            "Waterwheel Way",
        ],
    },
)


def demo_areas() -> list[dict[str, Any]]:
    """Return the demo areas: code, name, group, group_name, households and streets."""
    areas = copy.deepcopy(list(_AREAS))
    for area in areas:
        area["group_name"] = GROUPS[area["group"]]
    return areas
