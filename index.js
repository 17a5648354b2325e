"use strict";
const { startHTTPServer } = require("./lib/startHTTPServer");
const { InMemoryEventStore } = require("./lib/eventStore");
const { respondWith } = require("./lib/exchange");

module.exports = { startHTTPServer, InMemoryEventStore, respondWith };
