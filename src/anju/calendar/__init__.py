"""Working days: China's statutory holidays and make-up working days (DESIGN rule 7), for every module."""
