import cjs from "./index.js";

export const { startHTTPServer, InMemoryEventStore, respondWith } = cjs;
export default cjs;
