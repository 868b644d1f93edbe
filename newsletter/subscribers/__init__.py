"""subscribers.csv: reading, the in-memory list, atomic locked writes, imports, the web journal.

- status.py: the statuses, which are sticky, which is more final, and who may be mailed
- addresses.py: email addresses checked and normalised the same way everywhere
- csvbytes.py, csvrecords.py, csvfile.py: the file's bytes, its records, its cells
- scan.py: every row checked at once (status, address, repeats)
- table.py: the rows in memory and their in-place edits
- listfile.py: reading the list, and its lock
- store.py: changing it only under the lock with atomic writes, the web journal folded in first
- stream.py: reading a part at a time, for the send (a million rows in a few megabytes)
- listing.py: what `subscribers list`, `export` and `stats` show
- imports.py: readers from other tools (Mailchimp, Substack, Buttondown, any CSV)
- journal.py, journal_apply.py, journal_done.py: the web's changes, on disk first, folded in later
"""
