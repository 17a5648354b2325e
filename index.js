"use strict";
const { startHTTPServer } = require("./lib/startHTTPServer");
const { InMemoryEventStore } = require("./lib/eventStore");
const { respondWith } = require("./lib/http/exchange");
const { DEFAULT_ALLOWED_HEADERS } = require("./lib/options");
const stdio = require("./lib/stdio");

module.exports = { startHTTPServer, InMemoryEventStore, respondWith, DEFAULT_ALLOWED_HEADERS, ...stdio };
