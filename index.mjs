import cjs from "./index.js";

export const { startHTTPServer, InMemoryEventStore } = cjs;
export default cjs;
