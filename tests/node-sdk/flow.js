#!/usr/bin/env node
// Drives the official, unmodified Amazon Pay Node SDK (@amazonpay/amazon-pay-api-sdk-nodejs 2.3.4)
// through a full OneTime checkout against the apay-conformance emulator:
//   create -> get -> (buyer signs in) -> update -> (buyer confirms) -> complete
//   -> getCharge -> captureCharge -> createRefund -> getRefund -> getChargePermission
//
// Environment:
//   EMULATOR_TLS_PORT          HTTPS port of the emulator (the SDK only speaks HTTPS)
//   EMULATOR_HTTP_URL          base URL of the emulator's plain-HTTP side, for the control API
//   AMAZON_PAY_PUBLIC_KEY_ID   public key id registered with the emulator
//   AMAZON_PAY_PRIVATE_KEY     path to the matching PEM private key
//
// Prints one line per step and exits non-zero on the first unexpected result.
'use strict';

const fs = require('fs');
const http = require('http');
const https = require('https');
const crypto = require('crypto');
const Client = require('@amazonpay/amazon-pay-api-sdk-nodejs');

const REVIEW_URL = 'https://merchant.example/review';
const RESULT_URL = 'https://merchant.example/result';
const STORE_ID = 'amzn1.application-oa2-client.0123456789abcdef0123456789abcdef';
const OVERALL_TIMEOUT_MS = 60000;
const CONTROL_TIMEOUT_MS = 10000;

function fail(message, detail) {
  process.stderr.write(`✘ ${message}\n`);
  if (detail !== undefined) {
    const text = typeof detail === 'string' ? detail : JSON.stringify(detail, null, 2);
    process.stderr.write(text.replace(/^/gm, '    ') + '\n');
  }
  process.exit(1);
}

function requireEnv(name) {
  const value = process.env[name];
  if (value === undefined || value === '') {
    process.stderr.write(`✘ environment variable ${name} is not set\n`);
    process.exit(2);
  }
  return value;
}

function idempotencyKey() {
  return crypto.randomUUID().replace(/-/g, '');
}

function ok(step, status, extra) {
  process.stdout.write(`✔ ${step} ${status}${extra ? ' ' + extra : ''}\n`);
}

// Describe whatever the SDK rejected with: an axios error (with or without a response),
// a bare response object (the SDK rejects with the response itself for status >= 400 when
// axios did not), a thrown string, or an Error.
function describeError(err) {
  if (err && err.response) {
    return {
      status: err.response.status,
      data: err.response.data,
      message: err.message,
    };
  }
  if (err && typeof err.status === 'number' && 'data' in err) {
    return { status: err.status, data: err.data };
  }
  if (err instanceof Error) {
    return { error: err.code ? `${err.code}: ${err.message}` : err.message };
  }
  return { error: String(err) };
}

// Run one SDK call; on rejection, print the status/body and exit.
async function sdk(step, expectedStatus, call) {
  let response;
  try {
    response = await call();
  } catch (err) {
    fail(`${step}: SDK call failed (expected HTTP ${expectedStatus})`, describeError(err));
  }
  if (!response || typeof response.status !== 'number') {
    fail(`${step}: SDK returned something that is not a response`, String(response));
  }
  if (response.status !== expectedStatus) {
    fail(`${step}: expected HTTP ${expectedStatus}, got ${response.status}`, response.data);
  }
  if (response.data === null || typeof response.data !== 'object') {
    fail(`${step}: response body is not a JSON object`, String(response.data));
  }
  return response;
}

function expect(step, condition, message, body) {
  if (!condition) fail(`${step}: ${message}`, body);
}

function stateOf(body) {
  return body && body.statusDetails ? body.statusDetails.state : undefined;
}

// POST JSON to the emulator's control API (plain HTTP, no signing).
function controlPost(baseUrl, path, payload) {
  return new Promise((resolve, reject) => {
    const url = new URL(baseUrl.replace(/\/+$/, '') + path);
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'content-length': body.length,
        },
        timeout: CONTROL_TIMEOUT_MS,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch (_) {
            json = undefined;
          }
          resolve({ status: res.statusCode, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${CONTROL_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function buyer(step, baseUrl, sessionId, payload, expectedPrefix) {
  const path = `/__emulator/checkout-sessions/${encodeURIComponent(sessionId)}/buyer`;
  let res;
  try {
    res = await controlPost(baseUrl, path, payload);
  } catch (err) {
    fail(`${step}: POST ${path} failed`, describeError(err));
  }
  if (res.status !== 200) {
    fail(`${step}: POST ${path} ${JSON.stringify(payload)}: expected HTTP 200, got ${res.status}`, res.text);
  }
  const redirectUrl = res.json && res.json.redirectUrl;
  expect(step, typeof redirectUrl === 'string', 'answer has no string "redirectUrl"', res.text);
  expect(step, redirectUrl.startsWith(expectedPrefix),
    `redirectUrl ${redirectUrl} does not start with ${expectedPrefix}`, res.json);
  expect(step, redirectUrl.includes(sessionId),
    `redirectUrl ${redirectUrl} does not contain the checkout session id ${sessionId}`, res.json);
  ok(step, res.status, redirectUrl);
  return redirectUrl;
}

async function main() {
  const tlsPort = requireEnv('EMULATOR_TLS_PORT');
  const httpUrl = requireEnv('EMULATOR_HTTP_URL');
  const publicKeyId = requireEnv('AMAZON_PAY_PUBLIC_KEY_ID');
  const privateKeyPath = requireEnv('AMAZON_PAY_PRIVATE_KEY');

  if (!/^[0-9]+$/.test(tlsPort)) fail(`EMULATOR_TLS_PORT is not a port number: ${tlsPort}`);
  let privateKey;
  try {
    privateKey = fs.readFileSync(privateKeyPath, 'utf8');
  } catch (err) {
    fail(`cannot read AMAZON_PAY_PRIVATE_KEY ${privateKeyPath}: ${err.message}`);
  }

  // Default signing algorithm on purpose (AMZN-PAY-RSASSA-PSS, salt 20): no `algorithm` key.
  const client = new Client.WebStoreClient({
    publicKeyId,
    privateKey,
    region: 'jp',
    sandbox: true,
    overrideServiceUrl: '127.0.0.1:' + tlsPort,
  });

  // 1. createCheckoutSession
  let step = 'createCheckoutSession';
  let res = await sdk(step, 201, () => client.createCheckoutSession(
    {
      webCheckoutDetails: { checkoutReviewReturnUrl: REVIEW_URL },
      storeId: STORE_ID,
      chargePermissionType: 'OneTime',
      merchantMetadata: { merchantReferenceId: 'NODE-SDK-0001', merchantStoreName: 'テストショップ' },
    },
    { 'x-amz-pay-idempotency-key': idempotencyKey() },
  ));
  const sessionId = res.data.checkoutSessionId;
  expect(step, typeof sessionId === 'string' && sessionId !== '', 'no checkoutSessionId', res.data);
  expect(step, stateOf(res.data) === 'Open', `state is ${stateOf(res.data)}, expected Open`, res.data);
  ok(step, res.status, sessionId);

  // 2. getCheckoutSession
  step = 'getCheckoutSession';
  res = await sdk(step, 200, () => client.getCheckoutSession(sessionId));
  expect(step, res.data.checkoutSessionId === sessionId,
    `checkoutSessionId is ${res.data.checkoutSessionId}, expected ${sessionId}`, res.data);
  expect(step, stateOf(res.data) === 'Open', `state is ${stateOf(res.data)}, expected Open`, res.data);
  const constraintIds = Array.isArray(res.data.constraints)
    ? res.data.constraints.map((c) => c && c.constraintId)
    : [];
  expect(step, constraintIds.includes('BuyerNotAssociated'),
    'constraints do not contain BuyerNotAssociated', res.data.constraints);
  ok(step, res.status, `${stateOf(res.data)} [${constraintIds.join(',')}]`);

  // 3. the buyer signs in and picks a card on the emulator's Amazon Pay page
  await buyer('buyer signs in (control API)', httpUrl, sessionId,
    { card: '1111', action: 'continue' }, REVIEW_URL);

  // 4. updateCheckoutSession
  step = 'updateCheckoutSession';
  res = await sdk(step, 200, () => client.updateCheckoutSession(sessionId, {
    webCheckoutDetails: { checkoutResultReturnUrl: RESULT_URL },
    paymentDetails: {
      paymentIntent: 'Authorize',
      canHandlePendingAuthorization: false,
      chargeAmount: { amount: '1000', currencyCode: 'JPY' },
    },
  }));
  const amazonPayRedirectUrl = res.data.webCheckoutDetails && res.data.webCheckoutDetails.amazonPayRedirectUrl;
  expect(step, typeof amazonPayRedirectUrl === 'string' && amazonPayRedirectUrl !== '',
    'webCheckoutDetails.amazonPayRedirectUrl is not a non-empty string', res.data);
  expect(step, Array.isArray(res.data.constraints) && res.data.constraints.length === 0,
    'constraints are not an empty array', res.data.constraints);
  ok(step, res.status, amazonPayRedirectUrl);

  // 5. the buyer lands on amazonPayRedirectUrl; continuing processes the payment
  await buyer('buyer confirms payment (control API)', httpUrl, sessionId,
    { action: 'continue' }, RESULT_URL);

  // 6. completeCheckoutSession
  step = 'completeCheckoutSession';
  res = await sdk(step, 200, () => client.completeCheckoutSession(sessionId, {
    chargeAmount: { amount: '1000', currencyCode: 'JPY' },
  }));
  expect(step, stateOf(res.data) === 'Completed', `state is ${stateOf(res.data)}, expected Completed`, res.data);
  const chargeId = res.data.chargeId;
  const chargePermissionId = res.data.chargePermissionId;
  expect(step, typeof chargeId === 'string' && chargeId !== '', 'no chargeId', res.data);
  expect(step, typeof chargePermissionId === 'string' && chargePermissionId !== '', 'no chargePermissionId', res.data);
  ok(step, res.status, `${stateOf(res.data)} charge=${chargeId} chargePermission=${chargePermissionId}`);

  // 7. getCharge
  step = 'getCharge';
  res = await sdk(step, 200, () => client.getCharge(chargeId));
  expect(step, stateOf(res.data) === 'Authorized', `state is ${stateOf(res.data)}, expected Authorized`, res.data);
  ok(step, res.status, `${chargeId} ${stateOf(res.data)}`);

  // 8. captureCharge
  step = 'captureCharge';
  res = await sdk(step, 200, () => client.captureCharge(
    chargeId,
    { captureAmount: { amount: '1000', currencyCode: 'JPY' } },
    { 'x-amz-pay-idempotency-key': idempotencyKey() },
  ));
  expect(step, stateOf(res.data) === 'Captured', `state is ${stateOf(res.data)}, expected Captured`, res.data);
  ok(step, res.status, `${chargeId} ${stateOf(res.data)}`);

  // 9. createRefund
  step = 'createRefund';
  res = await sdk(step, 201, () => client.createRefund(
    { chargeId, refundAmount: { amount: '500', currencyCode: 'JPY' } },
    { 'x-amz-pay-idempotency-key': idempotencyKey() },
  ));
  const refundId = res.data.refundId;
  expect(step, typeof refundId === 'string' && refundId !== '', 'no refundId', res.data);
  expect(step, stateOf(res.data) === 'RefundInitiated',
    `state is ${stateOf(res.data)}, expected RefundInitiated`, res.data);
  ok(step, res.status, `${refundId} ${stateOf(res.data)}`);

  // 10. getRefund
  step = 'getRefund';
  res = await sdk(step, 200, () => client.getRefund(refundId));
  expect(step, ['RefundInitiated', 'Refunded'].includes(stateOf(res.data)),
    `state is ${stateOf(res.data)}, expected RefundInitiated or Refunded`, res.data);
  ok(step, res.status, `${refundId} ${stateOf(res.data)}`);

  // 11. getChargePermission
  step = 'getChargePermission';
  res = await sdk(step, 200, () => client.getChargePermission(chargePermissionId));
  ok(step, res.status, `${chargePermissionId} ${stateOf(res.data)}`);

  process.stdout.write('all steps passed: the official Node SDK works against the emulator\n');
}

const watchdog = setTimeout(() => {
  fail(`flow did not finish within ${OVERALL_TIMEOUT_MS / 1000} s (the SDK sets no request timeout)`);
}, OVERALL_TIMEOUT_MS);
watchdog.unref();

main().then(
  () => process.exit(0),
  (err) => fail('unexpected error', err && err.stack ? err.stack : String(err)),
);
