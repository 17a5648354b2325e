"use strict";
// The compiled addon, loaded once at import (lib/loader.js says from where, and explains failures).
// Kept private: the public surface is index.js.
module.exports = require("./loader").loadAddon();
