"""党员中心户包保 and 定期上门: central households paired with resident households, visit plans by care level,
a visit log on the phone, and coverage nobody has to count by hand.

Who sees what
-------------
* ``pairing.visit`` — a central household's carrier (a volunteer) sees only the households paired with it
  now: the head's name, the address, the care level and a masked mobile; staff see their community.
* ``pairing.reveal`` — the carrier (and community workers, secretaries) may reveal one household's mobile
  with a purpose and a reason, written to the personal-data access log as in the registry.
* ``pairing.view`` / ``pairing.manage`` — the community's workers read coverage and run the pairings.
Anything outside answers 404, the same as a missing object.
"""
