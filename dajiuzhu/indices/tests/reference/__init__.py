"""The index, roster and scan code as it was before the scale work (issue 7): test references."""
