// Issue 10's acceptance: forwarding with 2 workers passes the EVPN interop
// tests against FRR unchanged. The same module, its switches configured with
// `workers = 2` through the lab (test/helpers/workers-env.ts); node's test
// runner gives this file its own process, so the setting stays here.
process.env['VXSWITCH_TEST_WORKERS'] = '2';
await import('./evpn-interop-frr.test.js');
