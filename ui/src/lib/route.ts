// The chat window's views, addressed by the URL hash: #/chat, #/chat/<id>, #/settings, #/welcome.

export type Route =
  | { view: "chat"; conversationId: number | null }
  | { view: "settings" }
  | { view: "welcome" };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  switch (parts[0]) {
    case "settings":
      return { view: "settings" };
    case "welcome":
      return { view: "welcome" };
    case "chat": {
      const id = parts[1] !== undefined && /^\d+$/.test(parts[1]) ? Number(parts[1]) : null;
      return { view: "chat", conversationId: id };
    }
    default:
      return { view: "chat", conversationId: null };
  }
}

export function routeHash(route: Route): string {
  switch (route.view) {
    case "settings":
      return "#/settings";
    case "welcome":
      return "#/welcome";
    case "chat":
      return route.conversationId === null ? "#/chat" : `#/chat/${route.conversationId}`;
  }
}
