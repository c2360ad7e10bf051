import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { createBrowserRouter, type RouteObject } from 'react-router'
import { RouterProvider } from 'react-router/dom'
import { Layout } from './components/Layout'
import { config } from './config'
import './index.css'
import { ConsoleHome } from './pages/ConsoleHome'
import { NotFound } from './pages/NotFound'
import { SectionPending } from './pages/SectionPending'
import { StorefrontHome } from './pages/StorefrontHome'
import { sectionsFor } from './sections'

// One bundle serves both realms; the server-injected config decides which routes exist.
const routes: RouteObject[] = [
  {
    element: <Layout />,
    children: [
      { index: true, element: config.realm === 'platform' ? <ConsoleHome /> : <StorefrontHome /> },
      ...sectionsFor(config.realm).map((s) => ({
        path: s.path.slice(1),
        element: <SectionPending section={s} />,
      })),
      { path: '*', element: <NotFound /> },
    ],
  },
]

const root = document.getElementById('root')
if (!root) throw new Error('index.html has no #root element')

createRoot(root).render(
  <StrictMode>
    <RouterProvider router={createBrowserRouter(routes)} />
  </StrictMode>,
)
