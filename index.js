"use strict";
const { startHTTPServer } = require("./lib/startHTTPServer");

module.exports = { startHTTPServer };
