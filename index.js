"use strict";
const { startHTTPServer } = require("./lib/startHTTPServer");
const { InMemoryEventStore } = require("./lib/eventStore");
const { respondWith } = require("./lib/http/exchange");
const { DEFAULT_ALLOWED_HEADERS } = require("./lib/options");

module.exports = { startHTTPServer, InMemoryEventStore, respondWith, DEFAULT_ALLOWED_HEADERS };
