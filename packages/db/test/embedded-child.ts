// A separate process holding an embedded database open, for pglite.test.ts: opens (and migrates) the data
// directory given as argv[2], inserts a customer named argv[3] when given, prints one JSON line, then waits
// until its stdin closes or it is killed.
import { createEmbeddedDb, insertCustomer } from '../src/index.ts';

const [dataDir, customerName] = process.argv.slice(2);
try {
  const handle = await createEmbeddedDb({ dataDir: dataDir! });
  await handle.migrate();
  const customer = customerName ? await insertCustomer(handle.db, { name: customerName }) : undefined;
  console.log(JSON.stringify({ open: true, customerId: customer?.id }));
  process.stdin.resume();
  process.stdin.on('end', () => void handle.close().then(() => process.exit(0)));
} catch (error) {
  console.log(JSON.stringify({ open: false, error: (error as Error).message }));
  process.exit(1);
}
