"use strict";
// `--tunnel`: mcp-proxy 6.7.19 opens a public tunnel with the `pipenet` package (to
// tunnel.gla.ma). We do not depend on it: it is a network client for one hosted service that
// most deployments never use. When it is installed where Node finds it from this package (the
// application's node_modules, beside mcp-proxy-native) we use it as 6.7.19 does; otherwise
// `--tunnel` fails at startup, before the child is spawned, saying what to install.

const TUNNEL_HOST = "https://tunnel.gla.ma";

/** pipenet's module; throws a clear Error when it is not installed. */
async function loadPipenet() {
  try {
    return await import("pipenet");
  } catch (error) {
    if (error?.code !== "ERR_MODULE_NOT_FOUND") throw error;
    throw new Error(
      "--tunnel needs the pipenet package, which mcp-proxy-native does not bundle: install it beside mcp-proxy-native (npm install pipenet), or expose the port another way",
    );
  }
}

/** Opens the tunnel to `port` and says where it is, as 6.7.19 does. Returns `{ url, close }`. */
async function openTunnel({ pipenet }, { port, subdomain, log }) {
  log(`establishing tunnel via ${new URL(TUNNEL_HOST).host}`);
  const tunnel = await pipenet({ host: TUNNEL_HOST, port, subdomain });
  log(`tunnel established at ${tunnel.url}`);
  return tunnel;
}

module.exports = { loadPipenet, openTunnel };
