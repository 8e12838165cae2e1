-- Document context in the index. From this version on a file's title (HTML's `<title>`) is
-- kept on its row, and the full-text index has fields of their own for the file name, the
-- title and the heading path (its new schema is rebuilt from the catalog on open).
ALTER TABLE files ADD COLUMN title TEXT;             -- NULL: the format has none, or none given

-- HTML is now extracted without its navigation and with its title, EPUB chapters likewise:
-- indexed files of those kinds are marked as a rebuild marks them (the mtime no real file has,
-- no hash), so the next scan or refresh reads them again instead of finding them unchanged,
-- and `Index::rebuild_pending` counts them. Until then their old chunks stay searchable.
UPDATE files SET mtime_ns = -9223372036854775808, hash = NULL
WHERE kind IN ('html', 'epub') AND status = 'indexed';
