import cjs from "./index.js";

export const { startHTTPServer, InMemoryEventStore, respondWith, DEFAULT_ALLOWED_HEADERS } = cjs;
export default cjs;
