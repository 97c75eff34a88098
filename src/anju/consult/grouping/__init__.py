"""每月一题: recurring appeals of one kind in one building or area, grouped by their text (``text``), and the
candidates written from the groups (``services``)."""
