// Compiles EventPump.sol with the solc-js of node_modules and writes EventPump.bin (creation bytecode, 0x-hex).
const fs = require('fs');
const path = require('path');
const solc = require(path.join(__dirname, '..', '..', 'node_modules', 'solc'));
const input = {
  language: 'Solidity',
  sources: { 'EventPump.sol': { content: fs.readFileSync(path.join(__dirname, 'EventPump.sol'), 'utf8') } },
  settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: 'prague', outputSelection: { '*': { '*': ['evm.bytecode.object'] } } },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
for (const e of out.errors || []) if (e.severity === 'error') { console.error(e.formattedMessage); process.exit(1); }
fs.writeFileSync(path.join(__dirname, 'EventPump.bin'), '0x' + out.contracts['EventPump.sol'].EventPump.evm.bytecode.object + '\n');
console.log('wrote EventPump.bin');
