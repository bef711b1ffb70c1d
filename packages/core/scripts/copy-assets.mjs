// The build copies non-TypeScript assets from src/ to dist/. There are none: the known models'
// config.json contents are TypeScript data in src/models/known/, compiled with the rest.
console.log('copy-assets: nothing to copy (known model configs are embedded as TypeScript)');
