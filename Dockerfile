# One image for both roles: `claimdesk api` and `claimdesk worker` (see docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
USER node
EXPOSE 3000 9464
ENTRYPOINT ["node", "bin/claimdesk.js"]
CMD ["api"]
