"""The resident registry (人房数据): households, residents, party members, tags,
Excel import and export, under China's Personal Information Protection Law.

Who sees what
-------------
* ``people.view`` — volunteers, grid workers, community workers, branch
  secretaries and supervisors read lists and pages within their org scope.
* ``people.names`` — the *full profile* (``people.profiles``): names, birth
  dates, door numbers and sensitive tags (残疾, 低保, 孕产妇) for grid workers,
  community workers and branch secretaries (and administrators). Volunteers and
  supervisors get the *limited profile*: ``张*三``, an age band, no ID number,
  building and entrance without the door, no sensitive tags. The fields are
  decided together so that none rebuilds another (a birth date beside
  ``4211**********1234`` gives the ID back): the ID is masked to its region head.
* ``people.reveal`` — mobile and ID numbers are masked everywhere
  (``138****1234``, ``4211**************``). Community workers and branch
  secretaries (and administrators) may reveal one value at a time, choosing a
  purpose and giving a reason a reviewer can read (``audit.reasons``); each
  reveal writes an ``audit.PiiAccess`` row that supervisors read on the
  personal-data access log. Volunteers and supervisors never reveal.
* ``people.manage`` — grid workers, community workers and branch secretaries
  register, edit and archive (moving out, death) residents and households.
* ``people.import`` / ``people.export`` — community workers and branch
  secretaries. An unmasked export needs ``people.reveal``, a purpose and a reason, and
  logs one access row per exported resident.

What is normalised and what is refused (services, API and Excel alike)
----------------------------------------------------------------------
* Names: surrounding and inner spaces of Chinese names are removed, full-width
  letters folded (NFKC), middle dots (``•``, ``・``, ``.``) become ``·``.
  Traditional characters are accepted and kept as typed (a person's name is
  what their papers say); pinyin search works for them too. Digits and other
  symbols are refused.
* ID numbers: spaces and full-width digits are removed, ``x`` becomes ``X``.
  Refused with a reason: not 18 characters, a wrong region code, an impossible
  birth date, a wrong GB 11643 check digit, a birth date or gender that
  disagrees with the birth-date or gender column. An empty birth date or
  gender is taken from the ID number.
* Mobile numbers: spaces, dashes, full-width digits and a ``+86``/``0086``
  prefix are removed; anything but an 11-digit mainland number is refused.
* Dates: ``1956-03-08``, ``1956/3/8``, ``1956.3.8``, ``19560308``,
  ``1956年3月8日`` or a real Excel date cell; anything else is refused, as is a
  date before 1900 or in the future.
* Excel: empty rows are skipped; a cell holding a formula is refused (type
  the value itself): a formula's cached value may be stale and a formula is
  how spreadsheet injection travels. Files over ``IMPORT_MAX_BYTES`` or not
  xlsx at all are refused before they are parsed.

Pinyin search stores the full pinyin and the initials of each name
(``zhangsan``, ``zs``) computed with pypinyin's most common reading; a surname
read differently as a surname (曾 zēng) is found by its common reading (``c``).
"""
