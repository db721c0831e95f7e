"""The 12-digit statistical division code (统计用区划代码) and its prefixes.

province 2 + city 2 + county 2 + township 3 + village 3. A code's significant prefix
names its jurisdiction: ``371424`` is 临邑县 and everything under it.
"""

from __future__ import annotations

import re

LEVEL_PROVINCE, LEVEL_CITY, LEVEL_COUNTY, LEVEL_TOWNSHIP, LEVEL_VILLAGE = 1, 2, 3, 4, 5
PREFIX_LENGTHS = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
_CODE = re.compile(r"^\d{12}$")


def is_code(code: str) -> bool:
    return bool(code) and bool(_CODE.match(code))


def level_of(code: str) -> int:
    """The level a 12-digit code names, from its trailing zero groups."""
    if code[2:] == "0" * 10:
        return LEVEL_PROVINCE
    if code[4:] == "0" * 8:
        return LEVEL_CITY
    if code[6:] == "0" * 6:
        return LEVEL_COUNTY
    if code[9:] == "000":
        return LEVEL_TOWNSHIP
    return LEVEL_VILLAGE


def prefix_of(code: str) -> str:
    """The significant prefix: ``371424100000`` → ``371424100``."""
    return code[: PREFIX_LENGTHS[level_of(code)]]


def pad(prefix: str) -> str:
    """A prefix back to its 12-digit code: ``371424`` → ``371424000000``."""
    return prefix.ljust(12, "0")


def ancestor(code: str, level: int) -> str:
    """The 12-digit code of an ancestor at ``level`` (or the code itself)."""
    return pad(code[: PREFIX_LENGTHS[level]])


def is_urban_village(code: str) -> bool:
    """居民委员会 (village part 001–199) is urban; 村民委员会 (200–399) rural."""
    return level_of(code) == LEVEL_VILLAGE and 1 <= int(code[9:]) <= 199
