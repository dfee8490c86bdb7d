// CSS imports are bundled by esbuild into /assets/console.css.
declare module '*.css';
