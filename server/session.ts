// What the bot remembers about one user between messages: the engine reads and returns it, the store keeps it.
// It lives apart from both so that the store imports nothing from the engine.

/** One user's conversation state. */
export type Session = {
  subscribed: boolean;
  /** The section being read page by page, for "more"; it lapses after the engine's PAGING_TTL_MS. */
  paging?: { sectionId: string; nextPage: number; at: string };
};

/** The session of a user never seen before. */
export const NEW_SESSION: Session = { subscribed: false };
