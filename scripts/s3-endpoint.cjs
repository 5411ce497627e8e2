// A real S3 endpoint for the storage tests: Miniflare's R2 S3 API (it checks
// SigV4 signatures) with one bucket, `codex-media`, kept in memory, or, with
// S3_ENDPOINT_STATE set to the folder `wrangler dev --persist-to` uses, in
// that folder: then it is the S3 face of the workers' own R2 bucket, as the
// bucket's S3 endpoint is in production.
// Usage: NODE_PATH=<dir with miniflare> node scripts/s3-endpoint.cjs PORT
// Prints "ready <endpoint>" once it accepts requests; runs until killed.
const path = require("node:path");
const { Miniflare, convertV4MiniflareOptions } = require("miniflare");

const port = Number(process.argv[2] || 0);
const credentials = {
  accessKeyId: process.env.S3_TEST_ACCESS_KEY_ID || "codex-test-key",
  secretAccessKey: process.env.S3_TEST_SECRET_ACCESS_KEY || "codex-test-secret",
};

async function main() {
  const options = convertV4MiniflareOptions({
    host: "127.0.0.1",
    port,
    modules: true,
    script: "export default { fetch() { return new Response('codex S3 test endpoint'); } }",
    r2Buckets: { MEDIA_BUCKET: { id: "codex-media", s3Credentials: credentials } },
  });
  const state = process.env.S3_ENDPOINT_STATE;
  if (state) {
    // Where wrangler dev keeps its resources for `--persist-to state`.
    options.resourcePersistencePath = path.join(path.resolve(state), "v3");
  }
  const mf = new Miniflare(options);
  const url = await mf.ready;
  console.log(`ready ${url.origin}/cdn-cgi/local/r2/s3/`);
  const stop = async () => {
    await mf.dispose();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
