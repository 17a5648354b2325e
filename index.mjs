import cjs from "./index.js";

export const { startHTTPServer } = cjs;
export default cjs;
