import { StrictMode, type ReactNode } from 'react'
import { createRoot } from 'react-dom/client'
import { createBrowserRouter, type RouteObject } from 'react-router'
import { RouterProvider } from 'react-router/dom'
import { RequireRole } from './components/Guard'
import { Layout } from './components/Layout'
import { config } from './config'
import './index.css'
import { AccountLayout } from './pages/account/AccountLayout'
import { Password } from './pages/account/Password'
import { Profile } from './pages/account/Profile'
import { Sessions } from './pages/account/Sessions'
import { Tokens } from './pages/account/Tokens'
import { TwoFactor } from './pages/account/TwoFactor'
import { AdminLayout } from './pages/admin/AdminLayout'
import { AdminOverview } from './pages/admin/AdminOverview'
import { Members } from './pages/admin/Members'
import { NodeOperatorRequests } from './pages/admin/NodeOperatorRequests'
import { AuditLog } from './pages/AuditLog'
import { Login } from './pages/auth/Login'
import { ForgotPassword, ResetPassword } from './pages/auth/PasswordReset'
import { Signup } from './pages/auth/Signup'
import { VerifyEmail } from './pages/auth/VerifyEmail'
import { ConsoleHome } from './pages/ConsoleHome'
import { Dashboards } from './pages/console/Dashboards'
import { Outbox, OutboxMessageView } from './pages/console/Outbox'
import { SuperAdmins } from './pages/console/SuperAdmins'
import { TenancyLayout } from './pages/console/TenancyLayout'
import { NotFound } from './pages/NotFound'
import { SectionPending } from './pages/SectionPending'
import { StorefrontHome } from './pages/StorefrontHome'
import { sectionsFor } from './sections'

const isConsole = config.realm === 'platform'

// Pages both realms share: the sign-in family and account settings.
const identityRoutes: RouteObject[] = [
  { path: 'login', element: <Login /> },
  { path: 'signup', element: <Signup /> },
  { path: 'verify-email', element: <VerifyEmail /> },
  { path: 'forgot-password', element: <ForgotPassword /> },
  { path: 'reset-password', element: <ResetPassword /> },
  {
    path: 'account',
    element: <AccountLayout />,
    children: [
      { index: true, element: <Profile /> },
      { path: 'password', element: <Password /> },
      { path: 'two-factor', element: <TwoFactor /> },
      { path: 'sessions', element: <Sessions /> },
      { path: 'tokens', element: <Tokens /> },
      { path: 'ssh-keys', lazy: async () => ({ Component: (await import('./pages/account/SshKeys')).SshKeys }) },
    ],
  },
]

const storefrontRoutes: RouteObject[] = [
  {
    path: 'admin',
    element: <AdminLayout />,
    children: [
      { index: true, element: <AdminOverview /> },
      { path: 'members', element: <Members /> },
      // Customers: searchable accounts with what they run and have paid, and each one's servers and payments.
      { path: 'customers', lazy: async () => ({ Component: (await import('./pages/admin/Customers')).Customers }) },
      { path: 'node-operator-requests', element: <NodeOperatorRequests /> },
      // The storefront's branding, domains and settings load on first use.
      { path: 'branding', lazy: async () => ({ Component: (await import('./pages/admin/Branding')).Branding }) },
      { path: 'domains', lazy: async () => ({ Component: (await import('./pages/admin/Domains')).Domains }) },
      { path: 'settings', lazy: async () => ({ Component: (await import('./pages/admin/Settings')).Settings }) },
      { path: 'coop-members', lazy: async () => ({ Component: (await import('./pages/admin/CoopMembers')).CoopMembers }) },
      { path: 'offers', lazy: async () => ({ Component: (await import('./pages/admin/Offers')).Offers }) },
      // The apps the storefront sells and their margins.
      { path: 'apps', lazy: async () => ({ Component: (await import('./pages/admin/AdminApps')).AdminApps }) },
      // Payments: the storefront's Stripe account, payments and refunds; prices and coupons.
      { path: 'billing', lazy: async () => ({ Component: (await import('./pages/admin/Billing')).AdminBilling }) },
      { path: 'pricing', lazy: async () => ({ Component: (await import('./pages/admin/Pricing')).AdminPricing }) },
      // Deployments: the node pool (catalog, operators' nodes, customer picks) and every customer's server.
      { path: 'pool', lazy: async () => ({ Component: (await import('./pages/admin/NodePool')).NodePool }) },
      { path: 'deployments', lazy: async () => ({ Component: (await import('./pages/admin/AdminDeployments')).AdminDeployments }) },
      { path: 'health', lazy: async () => ({ Component: (await import('./pages/admin/AdminHealth')).AdminHealth }) },
      // The treasury: balances, staking tiers, the top-up policy and every top-up's steps.
      { path: 'wallet', lazy: async () => ({ Component: (await import('./pages/admin/Wallet')).AdminWallet }) },
      {
        path: 'audit',
        element: (
          <AuditLog
            path="/api/admin/audit"
            description="Sign-ins, failed sign-ins, role changes, approvals, 2FA and API-token changes and every admin action on this storefront."
          />
        ),
      },
      { path: '*', element: <NotFound /> },
    ],
  },
  // The customer's side of payments: ordering on the deploy page, cards and receipts.
  { path: 'deploy', lazy: async () => ({ Component: (await import('./pages/Deploy')).Deploy }) },
  // One-click apps: the catalog and each app's order form.
  { path: 'apps', lazy: async () => ({ Component: (await import('./pages/apps/AppCatalog')).AppCatalog }) },
  { path: 'deploy/app/:key', lazy: async () => ({ Component: (await import('./pages/apps/AppDeploy')).AppDeploy }) },
  { path: 'billing', lazy: async () => ({ Component: (await import('./pages/Billing')).Billing }) },
  // Confirming a payment the bank wants authenticated (the link of the renewal mail).
  { path: 'pay/:id', lazy: async () => ({ Component: (await import('./pages/Pay')).Pay }) },
  // The customer's servers: the list, and each one's live progress, addresses and cancel.
  { path: 'deployments', lazy: async () => ({ Component: (await import('./pages/deployments/Deployments')).Deployments }) },
  { path: 'deployments/:id', lazy: async () => ({ Component: (await import('./pages/deployments/Deployments')).DeploymentPage }) },
]

const superAdmin = (el: ReactNode) => <RequireRole roles={['super_admin']}>{el}</RequireRole>
const operator = (el: ReactNode) => <RequireRole roles={['node_operator']}>{el}</RequireRole>

const consoleRoutes: RouteObject[] = [
  {
    path: 'tenants',
    element: <TenancyLayout />,
    children: [
      { index: true, lazy: async () => ({ Component: (await import('./pages/console/Tenants')).Tenants }) },
      { path: 'applications', lazy: async () => ({ Component: (await import('./pages/console/Applications')).Applications }) },
      { path: 'domains', lazy: async () => ({ Component: (await import('./pages/console/ConsoleDomains')).ConsoleDomains }) },
      { path: 'platform-fee', lazy: async () => ({ Component: (await import('./pages/console/PlatformFee')).PlatformFeePage }) },
      { path: '*', element: <NotFound /> },
    ],
  },
  // Public: "Become an operator" and "Register a co-op" on the console's home page.
  { path: 'apply', lazy: async () => ({ Component: (await import('./pages/console/Apply')).Apply }) },
  { path: 'super-admins', element: superAdmin(<SuperAdmins />) },
  // Platform accounts, node operators and the job queues.
  {
    path: 'accounts',
    lazy: async () => {
      const { Accounts } = await import('./pages/console/Accounts')
      return { element: superAdmin(<Accounts />) }
    },
  },
  {
    path: 'node-operators',
    lazy: async () => {
      const { NodeOperators } = await import('./pages/console/NodeOperators')
      return { element: superAdmin(<NodeOperators />) }
    },
  },
  {
    path: 'jobs',
    lazy: async () => {
      const { Jobs } = await import('./pages/console/Jobs')
      return { element: superAdmin(<Jobs />) }
    },
  },
  {
    path: 'audit',
    element: superAdmin(
      <div className="mx-auto w-full max-w-6xl px-4 py-10 sm:px-6 lg:px-8">
        <AuditLog
          path="/api/console/audit"
          showTenant
          description="Everything recorded on the platform and on every storefront, newest first."
        />
      </div>,
    ),
  },
  { path: 'outbox', element: superAdmin(<Outbox />) },
  { path: 'outbox/:id', element: superAdmin(<OutboxMessageView />) },
  { path: 'dashboards', element: operator(<Dashboards />) },
  // The node operator's twin, nodes and earnings.
  {
    path: 'twin',
    lazy: async () => {
      const { TwinPage } = await import('./pages/console/Twin')
      return { element: operator(<TwinPage />) }
    },
  },
  {
    path: 'nodes',
    lazy: async () => {
      const { MyNodes } = await import('./pages/console/MyNodes')
      return { element: operator(<MyNodes />) }
    },
  },
  {
    path: 'earnings',
    lazy: async () => {
      const { Earnings } = await import('./pages/console/Earnings')
      return { element: operator(<Earnings />) }
    },
  },
  // A co-op member's shares of its co-ops' payments.
  {
    path: 'coop',
    lazy: async () => {
      const { CoopShares } = await import('./pages/console/CoopShares')
      return { element: operator(<CoopShares />) }
    },
  },
]

const specific = isConsole ? consoleRoutes : storefrontRoutes
const taken = new Set([...identityRoutes, ...specific].map((r) => r.path))

// Sections without a page of their own yet keep their "being built" card. On the console
// they are still guarded by the roles that will use them.
const pendingRoutes: RouteObject[] = sectionsFor(config.realm)
  .filter((s) => !taken.has(s.path.slice(1)))
  .map((s) => ({
    path: s.path.slice(1),
    element:
      isConsole && s.roles?.length ? (
        <RequireRole roles={s.roles}>
          <SectionPending section={s} />
        </RequireRole>
      ) : (
        <SectionPending section={s} />
      ),
  }))

// One bundle serves both realms; the server-injected config decides which routes exist.
const routes: RouteObject[] = [
  {
    element: <Layout />,
    children: [
      { index: true, element: isConsole ? <ConsoleHome /> : <StorefrontHome /> },
      ...identityRoutes,
      ...specific,
      ...pendingRoutes,
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
