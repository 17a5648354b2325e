"use strict";
// The compiled addon, loaded once at import (lib/addon/loader.js says from where, and explains failures).
// Kept private: the public surface is index.js.
module.exports = require("./addon/loader").loadAddon();
