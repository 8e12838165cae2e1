-- PDF, DOCX, EPUB and RTF are read from this version on. Files of those types that an older
-- Ledge skipped as unsupported (never read: no hash) are made to look changed, so that the next
-- scan reads them instead of finding them unchanged. The schema itself needs nothing new: the
-- chunks table already has `page`, and `files.kind` takes the new kinds (pdf, docx, epub, rtf).
UPDATE files SET mtime_ns = -1
WHERE status = 'skipped'
  AND error IN ('unsupported type .pdf', 'unsupported type .docx', 'unsupported type .epub',
                'unsupported type .rtf');
