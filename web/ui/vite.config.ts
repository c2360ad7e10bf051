import { mkdirSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import tailwindcss from '@tailwindcss/vite'
import react from '@vitejs/plugin-react'
import { defineConfig, type Plugin } from 'vite'

const outDir = resolve(import.meta.dirname, '../dist')

// The Go binary embeds web/dist with `go:embed all:dist`, which fails to compile when
// the directory is empty or missing, so the committed placeholder must survive
// emptyOutDir on every build.
function keepGitkeep(): Plugin {
  return {
    name: 'fd-keep-gitkeep',
    apply: 'build',
    closeBundle() {
      mkdirSync(outDir, { recursive: true })
      writeFileSync(resolve(outDir, '.gitkeep'), '')
    },
  }
}

export default defineConfig({
  base: '/',
  plugins: [react(), tailwindcss(), keepGitkeep()],
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
  },
})
