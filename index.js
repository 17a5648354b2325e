"use strict";
const { startHTTPServer } = require("./lib/startHTTPServer");
const { InMemoryEventStore } = require("./lib/eventStore");

module.exports = { startHTTPServer, InMemoryEventStore };
