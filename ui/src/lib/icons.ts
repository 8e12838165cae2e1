// A few line icons (24-unit grid, drawn with strokes in currentColor), decorative only:
// every control that shows one also has a text label or an aria-label.

const SVG = "http://www.w3.org/2000/svg";

const PATHS = {
  search: "M10.5 4a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13z M15.5 15.5 L20 20",
  plus: "M12 5v14 M5 12h14",
  gear:
    "M12 9a3 3 0 1 0 0 6a3 3 0 1 0 0-6z M12 2.5v3 M12 18.5v3 M2.5 12h3 M18.5 12h3 M5.3 5.3l2.1 2.1 M16.6 16.6l2.1 2.1 M5.3 18.7l2.1-2.1 M16.6 7.4l2.1-2.1",
  trash: "M4.5 7h15 M9.5 7V4.5h5V7 M6.5 7l1 12.5h9l1-12.5 M10 10.5v6 M14 10.5v6",
  clip: "M16.5 7.5l-7 7a2 2 0 0 0 2.8 2.8l7.4-7.4a4 4 0 0 0-5.7-5.7L6.6 11.6a6 6 0 0 0 8.5 8.5l5.4-5.4",
  stop: "M7 7h10v10H7z",
  send: "M12 19V5 M6 11l6-6l6 6",
  copy: "M9 9h10v10H9z M15 9V5H5v10h4",
  regen: "M19 12a7 7 0 1 1-2.05-4.95 M19 4.5V8h-3.5",
  folder: "M3.5 6.5h6l2 2h9v10h-17z",
  file: "M6 3.5h8l4 4v13H6z M14 3.5v4h4",
  x: "M6 6l12 12 M18 6L6 18",
  check: "M5 12.5l4.5 4.5L19 7.5",
  chat: "M4.5 5.5h15v10h-9l-4 3.5v-3.5h-2z",
  lock: "M7 11V8a5 5 0 0 1 10 0v3 M5.5 11h13v9.5h-13z",
  chip: "M7 7h10v10H7z M10 3.5V7 M14 3.5V7 M10 17v3.5 M14 17v3.5 M3.5 10H7 M3.5 14H7 M17 10h3.5 M17 14h3.5",
  arrowRight: "M5 12h14 M13 6l6 6l-6 6",
  pause: "M8.5 6v12 M15.5 6v12",
  play: "M8 5.5v13l10-6.5z",
  reveal: "M14 4.5h5.5V10 M19.5 4.5l-8 8 M17.5 14v5.5h-13v-13H10",
  warn: "M12 4L21 19.5H3z M12 10v4.5 M12 17v.01",
} as const;

export type IconName = keyof typeof PATHS;

export function icon(name: IconName, size = 16): SVGSVGElement {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", String(size));
  svg.setAttribute("height", String(size));
  svg.setAttribute("fill", "none");
  svg.setAttribute("stroke", "currentColor");
  svg.setAttribute("stroke-width", "1.8");
  svg.setAttribute("stroke-linecap", "round");
  svg.setAttribute("stroke-linejoin", "round");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.classList.add("icon");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", PATHS[name]);
  if (name === "stop" || name === "play") path.setAttribute("fill", "currentColor");
  svg.append(path);
  return svg;
}
