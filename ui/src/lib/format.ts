// Numbers, sizes, times and paths as people read them.

const NUMBER = new Intl.NumberFormat("en-US");

/** 1234 -> "1,234". */
export function formatCount(n: number): string {
  return NUMBER.format(n);
}

/** "1 file", "2 files"; the plural is the singular plus "s" unless given. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

const UNITS = ["kB", "MB", "GB", "TB", "PB"];

/**
 * Bytes in decimal units, as Finder and GNOME Files show them: "512 bytes", "1.5 kB",
 * "812 MB", "1.3 GB". One decimal below 10, none above.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "–";
  if (bytes < 1000) return bytes === 1 ? "1 byte" : `${Math.round(bytes)} bytes`;
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  // 999.95 kB would print as "1000 kB": carry into the next unit instead.
  if (value >= 999.5 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const text = value < 10 ? (Math.round(value * 10) / 10).toString() : Math.round(value).toString();
  return `${text} ${UNITS[unit]}`;
}

/** The last part of a path ("/a/b/notes.md" -> "notes.md"), for / and \ separators. */
export function basename(path: string): string {
  const trimmed = path.replace(/[/\\]+$/, "");
  const at = Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("\\"));
  return at === -1 ? trimmed : trimmed.slice(at + 1) || trimmed;
}

/** Everything before the last part ("/a/b/notes.md" -> "/a/b"). */
export function dirname(path: string): string {
  const trimmed = path.replace(/[/\\]+$/, "");
  const at = Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("\\"));
  if (at === -1) return "";
  return at === 0 ? trimmed.slice(0, 1) : trimmed.slice(0, at);
}

/**
 * A short "when" for lists: "Just now", "5 min ago", "3 h ago", "Yesterday", a weekday within
 * the week, then "Mar 3" (with the year when it is not this year).
 */
export function relativeTime(ms: number, now: number = Date.now()): string {
  const seconds = Math.round((now - ms) / 1000);
  if (seconds < 60) return "Just now";
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const then = new Date(ms);
  const today = new Date(now);
  const startOfToday = new Date(today.getFullYear(), today.getMonth(), today.getDate()).getTime();
  if (ms >= startOfToday) return `${Math.floor(minutes / 60)} h ago`;
  const day = 24 * 60 * 60 * 1000;
  if (ms >= startOfToday - day) return "Yesterday";
  if (ms >= startOfToday - 6 * day) return then.toLocaleDateString("en-US", { weekday: "long" });
  const sameYear = then.getFullYear() === today.getFullYear();
  return then.toLocaleDateString("en-US", {
    month: "short",
    day: "numeric",
    ...(sameYear ? {} : { year: "numeric" }),
  });
}

/** Collapses whitespace and cuts at a word boundary with an ellipsis. */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const space = cut.lastIndexOf(" ");
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s.,;:]+$/, "")}…`;
}
