// Interop check of the Cage's signed requests (RFC 9421) against an independent implementation:
// the npm package http-message-signatures signs requests to a running node, which must accept
// them, and verifies the node's response signatures, which must hold and bind the request.
//
//   node signatures.mjs --url http://127.0.0.1:PORT --seed <32-byte hex> --keyid mn1... \
//                       [--role-route /v1/audit/decisions]
//
// The key (seed) must hold a role that may call --role-route. Prints one line per check and
// exits non-zero on the first failure.
import { createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { httpbis, createSigner, createVerifier } from 'http-message-signatures';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []));
for (const required of ['url', 'seed', 'keyid']) {
  if (!args[required]) {
    console.error(`usage: node signatures.mjs --url URL --seed HEX --keyid ADDRESS [--role-route PATH]`);
    process.exit(2);
  }
}
const roleRoute = args['role-route'] ?? '/v1/audit/decisions';

// Ed25519 keys from raw bytes, through their DER wrappings (RFC 8410).
const privateKey = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(args.seed, 'hex')]),
  format: 'der', type: 'pkcs8',
});
const publicHex = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
const publicKeyOf = (hex) => createPublicKey({
  key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(hex, 'hex')]), format: 'der', type: 'spki',
});

const signer = createSigner(privateKey, 'ed25519', args.keyid);

// Signatures are bound to the chain by RFC 9421's tag parameter: "metanode:" + the genesis
// digest (the node's /health names it; a client that holds the genesis file computes it).
const health = await (await fetch(new URL('/health', args.url))).json();
const chainTag = `metanode:${health.genesis_digest}`;

// Signs and sends one request; returns { request, response, body }.
async function signedCall(method, path, body, { tamper, tag = chainTag } = {}) {
  const url = new URL(path, args.url).toString();
  const headers = { 'metanode-key': publicHex };
  const fields = ['@method', '@target-uri', 'metanode-key'];
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-digest'] = `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
    fields.push('content-digest');
  }
  const request = await httpbis.signMessage({
    key: signer,
    fields,
    params: ['created', 'expires', 'nonce', 'keyid', 'alg', 'tag'],
    paramValues: { nonce: randomBytes(16).toString('hex'), tag },
  }, { method, url, headers });
  const sendUrl = tamper ? tamper(url) : url;
  // Asks the node to sign its answer (RFC 9421 section 5.1; not a covered field).
  const sent = { ...request.headers, 'accept-signature': 'sig1=("@status" "content-digest");alg="ed25519"' };
  const response = await fetch(sendUrl, { method, headers: sent, body });
  const responseHeaders = {};
  response.headers.forEach((value, name) => { responseHeaders[name] = value; });
  return { request, response: { status: response.status, headers: responseHeaders }, body: await response.text() };
}

// Verifies the node's signature on `response` with the key it names, bound to `request`.
async function verifyAnswer({ request, response, body }) {
  const nodeKey = response.headers['metanode-key'];
  if (!nodeKey) throw new Error('the answer carries no Metanode-Key');
  const digest = `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
  if (response.headers['content-digest'] !== digest) throw new Error('the answer\'s Content-Digest is not its body\'s');
  const verified = await httpbis.verifyMessage({
    keyLookup: async () => ({ id: args.keyid, algs: ['ed25519'], verify: createVerifier(publicKeyOf(nodeKey), 'ed25519') }),
    requiredFields: ['@status', 'content-digest'],
    tolerance: 5,
  }, response, request);
  if (verified !== true) throw new Error('the node\'s response signature did not verify');
  const input = response.headers['signature-input'] ?? '';
  if (!input.includes(`tag="${chainTag}"`)) throw new Error(`the answer's signature is not tagged for this chain: ${input}`);
  // And bound to the request: the same answer does not verify against another request.
  const other = { ...request, url: request.url + '?other=1' };
  const rebound = await httpbis.verifyMessage({
    keyLookup: async () => ({ id: args.keyid, algs: ['ed25519'], verify: createVerifier(publicKeyOf(nodeKey), 'ed25519') }),
    tolerance: 5,
  }, response, other).catch(() => false);
  if (rebound === true) throw new Error('the node\'s response signature verified against another request');
  return nodeKey;
}

function check(what, condition, detail) {
  if (!condition) {
    console.error(`FAIL ${what}: ${detail}`);
    process.exit(1);
  }
  console.log(`ok   ${what}`);
}

const codeOf = (body) => { try { return JSON.parse(body).error?.code ?? ''; } catch { return ''; } };

const gated = await signedCall('GET', roleRoute);
check(`signed GET ${roleRoute} is accepted`, gated.response.status === 200, `${gated.response.status} ${gated.body}`);
const nodeKey = await verifyAnswer(gated);
check('the node\'s answer signature verifies with http-message-signatures', true);

const post = await signedCall('POST', '/v1/txs', '{}');
check('signed POST with Content-Digest passes the Cage (the handler answers)',
  !codeOf(post.body).startsWith('auth_') && post.response.status === 400, `${post.response.status} ${post.body}`);
await verifyAnswer(post);
check('the answer to the POST verifies too', true);

const moved = await signedCall('GET', roleRoute, undefined, { tamper: (url) => url + '?limit=1' });
check('a request changed after signing is refused', moved.response.status === 401 && codeOf(moved.body) === 'auth_signature',
  `${moved.response.status} ${moved.body}`);

const foreign = await signedCall('GET', roleRoute, undefined, { tag: `metanode:${'0'.repeat(64)}` });
check('a request signed for another chain (another tag) is refused',
  foreign.response.status === 401 && codeOf(foreign.body) === 'auth_wrong_chain', `${foreign.response.status} ${foreign.body}`);

console.log(JSON.stringify({ node_key: nodeKey, checks: 5 }));
