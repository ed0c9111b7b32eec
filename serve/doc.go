// Package serve is weld's build service: an HTTP API (stdlib net/http) over
// the same library call weld build makes (builder.New(...).Run), for many
// tenants at once. It authenticates every /v1 call with a bearer token,
// extracts each untrusted upload with one confined writer (Extract), runs at
// most a fixed number of builds with a bounded queue, streams each build's
// events as Server-Sent Events and keeps build records and event logs on
// disk so that history survives a restart. It never prints or exits; cmd/weld
// serve maps flags to a Config and runs Server.
package serve
