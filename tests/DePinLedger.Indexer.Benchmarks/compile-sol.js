// Compiles a one-contract Solidity file with the solc-js of node_modules (0.8.37, optimizer 200 runs, prague) and
// writes <Contract>.bin beside it (creation bytecode, 0x-hex). Used for the test-only contracts:
//   node tests/DePinLedger.Indexer.Benchmarks/compile-sol.js tests/DePinLedger.Indexer.Benchmarks/EventPump.sol
//   node tests/DePinLedger.Indexer.Benchmarks/compile-sol.js tests/DePinLedger.Indexer.Tests/MockDisputeGame.sol
const fs = require('fs');
const path = require('path');
const solc = require(path.join(__dirname, '..', '..', 'node_modules', 'solc'));
const file = path.resolve(process.argv[2] || path.join(__dirname, 'EventPump.sol'));
const name = path.basename(file, '.sol');
const input = {
  language: 'Solidity',
  sources: { [name + '.sol']: { content: fs.readFileSync(file, 'utf8') } },
  settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: 'prague', outputSelection: { '*': { '*': ['evm.bytecode.object'] } } },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
for (const e of out.errors || []) if (e.severity === 'error') { console.error(e.formattedMessage); process.exit(1); }
fs.writeFileSync(path.join(path.dirname(file), name + '.bin'), '0x' + out.contracts[name + '.sol'][name].evm.bytecode.object + '\n');
console.log('wrote ' + name + '.bin');
