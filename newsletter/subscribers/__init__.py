"""subscribers.csv: reading, the in-memory list, atomic locked writes, imports, the web journal."""
